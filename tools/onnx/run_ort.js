// Runs an ONNX model in ONNX Runtime (npm onnxruntime-node) on a float32
// .npy input and writes every output as OUT_<name>.npy (float32). Used by
// the onnx package's ONNX Runtime test (build tag "ort"), which compares
// them with nflowjs's own outputs.
//   NODE_PATH=DIR/node_modules node tools/onnx/run_ort.js MODEL.onnx INPUT.npy OUT_PREFIX
const fs = require('fs');
const ort = require('onnxruntime-node');

function readNpy(path) {
  const b = fs.readFileSync(path);
  const hlen = b.readUInt16LE(8);
  const header = b.toString('latin1', 10, 10 + hlen);
  if (!header.includes("'descr': '<f4'")) throw new Error(path + ': not float32');
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter((s) => s.trim() !== '').map(Number);
  const off = 10 + hlen;
  const data = new Float32Array(b.buffer.slice(b.byteOffset + off, b.byteOffset + b.length));
  return { shape, data };
}

function writeNpy(path, shape, data) {
  let h = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape.join(', ') + (shape.length === 1 ? ',' : '') + '), }';
  const pad = 64 - ((10 + h.length + 1) % 64);
  h += ' '.repeat(pad % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1; head[7] = 0;
  head.writeUInt16LE(h.length, 8);
  fs.writeFileSync(path, Buffer.concat([head, Buffer.from(h, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

async function main() {
  const [model, input, prefix] = process.argv.slice(2);
  const x = readNpy(input);
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 2 });
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.data, x.shape) });
  for (const [name, t] of Object.entries(out)) writeNpy(prefix + '_' + name + '.npy', t.dims, t.data);
  console.log(JSON.stringify({ model, ort: ort.env.versions, outputs: Object.keys(out) }));
}
main().catch((e) => { console.error(String(e)); process.exit(1); });
