// Package runlock gives a run directory one owner at a time: a training
// stage or an experiment takes the directory's lock before writing into it,
// and a second run into the same directory fails at once with an error
// naming the holder (process id, command line, start time), instead of both
// succeeding with their files mixed.
//
// On Unix the lock is flock(2) on DIR/.lock: the kernel releases it when the
// holder exits, SIGKILL included, so there are no stale locks to clear. On
// other systems the lock file is created exclusively and removed on
// release; a lock left by a crash names its process so it can be removed by
// hand.
package runlock
