// The llama.cpp side of `steer4j bench --sections peer`: loads a GGUF with node-llama-cpp's prebuilt llama.cpp,
// evaluates a prompt of token ids and generates greedily, and prints one JSON line per generation plus the
// process's peak RSS. Each generation also carries llama.cpp's own timing of it (llama_perf_context, through
// node-llama-cpp's printTimings): for small models node's per-token round trip between its threads costs as much as
// the model itself, so the peer is judged by llama.cpp's own clock, not node's. The project ships no llama.cpp code: node-llama-cpp is installed separately, e.g.
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

// llama.cpp prints its timings at info level; everything else it logs at that level is dropped
const timings = [];
const logger = (level, message) => {
    if (/llama_perf_context_print/.test(message)) {
        timings.push(message);
    } else if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) {
        console.error(message);
    }
};
const t0 = performance.now();
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.info, logger, maxThreads: threads });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const context = await model.createContext({ contextSize: prompt.length + newTokens + 8, threads, batchSize: 512,
    sequences: 1, performanceTracking: true });
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
    timings.length = 0;
    await context.printTimings(); // prints and resets llama.cpp's counters
    const own = ownTimings(timings.join("\n"));
    console.log(JSON.stringify({
        generation: g, prompt_ms: stamps[0] - start, decode_tokens_per_s: (ids.length - 1) / decodeMs * 1000,
        total_tokens_per_s: ids.length / (stamps[stamps.length - 1] - start) * 1000,
        own_prompt_ms: own.promptMs, own_prompt_tokens: own.promptTokens,
        own_decode_tokens_per_s: own.evalRuns > 0 ? own.evalRuns / own.evalMs * 1000 : null, own_decode_runs: own.evalRuns,
        ids,
    }));
}
const status = readFileSync("/proc/self/status", "utf8");
const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)[1]);
console.log(JSON.stringify({ peak_rss_mib: hwm / 1024 }));
await context.dispose();
await model.dispose();

/** "prompt eval time = X ms / N tokens" and "eval time = Y ms / M runs" from llama_perf_context_print's lines. */
function ownTimings(text) {
    const p = /prompt eval time =\s*([\d.]+) ms \/\s*(\d+) tokens/.exec(text);
    const e = /\n[^\n]*[^t] eval time =\s*([\d.]+) ms \/\s*(\d+) runs/.exec("\n" + text);
    return { promptMs: p ? Number(p[1]) : null, promptTokens: p ? Number(p[2]) : null,
        evalMs: e ? Number(e[1]) : null, evalRuns: e ? Number(e[2]) : 0 };
}
