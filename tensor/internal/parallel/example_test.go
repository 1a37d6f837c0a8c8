package parallel_test

import (
	"fmt"

	"github.com/nflowjs/nflowjs/tensor/internal/parallel"
)

// Each task writes its own element, so no locking is needed.
func ExampleRun() {
	squares := make([]int, 4)
	parallel.Run(len(squares), func(i int) { squares[i] = i * i })
	fmt.Println(squares)
	// Output: [0 1 4 9]
}
