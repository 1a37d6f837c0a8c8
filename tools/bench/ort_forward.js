// Times ONNX Runtime (npm onnxruntime-node, installed with --ignore-scripts)
// on ONNX files: median forward ms over ITERS runs after one warm-up, with
// 2 intra-op threads. Prints one JSON line per file.
//   node tools/bench/ort_forward.js ITERS FILE.onnx:N,C,H,W ...
// (NODE_PATH must reach onnxruntime-node, e.g. NODE_PATH=/tmp/ort/node_modules)
const ort = require('onnxruntime-node');

async function main() {
  const iters = parseInt(process.argv[2], 10);
  for (const arg of process.argv.slice(3)) {
    const [file, dims] = arg.split(':');
    const shape = dims.split(',').map(Number);
    const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 2, interOpNumThreads: 1 });
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n).map(() => Math.random() * 2 - 1);
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
    await session.run(feeds);
    const ts = [];
    for (let i = 0; i < iters; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    ts.sort((a, b) => a - b);
    console.log(JSON.stringify({ file, shape, ort_forward_ms: +ts[Math.floor(ts.length / 2)].toFixed(2), ort: ort.env.versions }));
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
