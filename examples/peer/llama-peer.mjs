// The llama.cpp side of `steer4j bench --sections peer`: loads a GGUF with node-llama-cpp's prebuilt llama.cpp,
// evaluates a prompt of token ids and generates greedily, and prints one JSON line per generation plus the
// process's peak RSS. The project ships no llama.cpp code: node-llama-cpp is installed separately, e.g.
//   mkdir /work/peer && cd /work/peer && npm install node-llama-cpp@3.22 @node-llama-cpp/linux-x64@3.22
// Usage: node llama-peer.mjs PEER_DIR MODEL.gguf PROMPT_IDS(comma-separated) NEW_TOKENS THREADS GENERATIONS
import { pathToFileURL } from "node:url";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const [peerDir, modelPath, promptArg, newArg, threadsArg, gensArg] = process.argv.slice(2);
const { getLlama, LlamaLogLevel } = await import(
    pathToFileURL(join(peerDir, "node_modules", "node-llama-cpp", "dist", "index.js")).href);
const prompt = promptArg.split(",").map(Number);
const newTokens = Number(newArg);
const threads = Number(threadsArg);

const t0 = performance.now();
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: threads });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const context = await model.createContext({ contextSize: prompt.length + newTokens + 8, threads, batchSize: 512,
    sequences: 1 });
const sequence = context.getSequence();
console.log(JSON.stringify({ load_ms: performance.now() - t0, threads }));

for (let g = 0; g < Number(gensArg); g++) {
    await sequence.clearHistory();
    const ids = [];
    const stamps = [];
    const start = performance.now();
    // temperature 0 is greedy; no repetition penalty unless asked for
    for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
        stamps.push(performance.now());
        ids.push(token);
        if (ids.length >= newTokens) {
            break;
        }
    }
    const decodeMs = stamps[stamps.length - 1] - stamps[0];
    console.log(JSON.stringify({
        generation: g, prompt_ms: stamps[0] - start, decode_tokens_per_s: (ids.length - 1) / decodeMs * 1000,
        total_tokens_per_s: ids.length / (stamps[stamps.length - 1] - start) * 1000, ids,
    }));
}
const status = readFileSync("/proc/self/status", "utf8");
const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)[1]);
console.log(JSON.stringify({ peak_rss_mib: hwm / 1024 }));
await context.dispose();
await model.dispose();
