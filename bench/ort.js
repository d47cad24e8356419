// Times one model on ONNX Runtime (CPU, from npm): `node ort.js MODEL.onnx
// THREADS ITERS OUT_DIR NAME=FILE.npy...`. Prints {"median_ms": ...} and
// writes each output as OUT_DIR/NAME.f32 (raw float32) for the comparison.
const fs = require('fs');
const path = require('path');
const ort = require(path.join(process.env.ORT_DIR || __dirname, 'node_modules', 'onnxruntime-node'));

function readNpy(file) {
  const buf = fs.readFileSync(file);
  const headerLen = buf.readUInt16LE(8);
  const header = buf.slice(10, 10 + headerLen).toString('latin1');
  const descr = /'descr': '([^']+)'/.exec(header)[1];
  const shape = /'shape': \(([^)]*)\)/.exec(header)[1].split(',').filter(s => s.trim()).map(Number);
  const data = buf.slice(10 + headerLen);
  const copy = new Uint8Array(data).buffer;
  if (descr === '<f4') return new ort.Tensor('float32', new Float32Array(copy), shape);
  if (descr === '<i8') return new ort.Tensor('int64', new BigInt64Array(copy), shape);
  throw new Error('unsupported npy dtype ' + descr);
}

async function main() {
  const [model, threads, iters, outDir, ...inputs] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads), interOpNumThreads: 1,
    executionMode: 'sequential', graphOptimizationLevel: 'all'});
  const feeds = {};
  for (const binding of inputs) {
    const [name, file] = binding.split('=');
    feeds[name] = readNpy(file);
  }
  let result = await session.run(feeds); // warm-up
  for (let i = 0; i < 2; ++i) result = await session.run(feeds);
  const times = [];
  for (let i = 0; i < Number(iters); ++i) {
    const begin = process.hrtime.bigint();
    result = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - begin) / 1e6);
  }
  times.sort((a, b) => a - b);
  fs.mkdirSync(outDir, {recursive: true});
  for (const [name, tensor] of Object.entries(result))
    fs.writeFileSync(path.join(outDir, name + '.f32'), Buffer.from(tensor.data.buffer));
  console.log(JSON.stringify({median_ms: times[Math.floor(times.length / 2)], min_ms: times[0]}));
}
main().catch(e => { console.error(e.message); process.exit(1); });
