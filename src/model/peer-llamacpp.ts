// llama.cpp (npm node-llama-cpp, its prebuilt Vulkan or CPU backend) as a peer engine for `bench --peer llama.cpp`:
// loads a GGUF, returns the full next-token log-probabilities at every position of a sequence, and times a
// greedy prefill + decode the way its users run it (sequence.evaluate, F16 KV cache, llama.cpp's defaults).
// ggml-vulkan skips CPU Vulkan devices (lavapipe, SwiftShader) unless GGML_VK_VISIBLE_DEVICES names them, so on
// a machine whose only Vulkan device is a CPU driver we set GGML_VK_VISIBLE_DEVICES=0 before the backend loads.
import type { ControlledEvaluateInputItem, Llama, LlamaContext, LlamaModel, Token } from 'node-llama-cpp';
import { AppError } from '../shared/errors';

export type PeerBackend = 'vulkan' | 'cpu';

export interface PeerTiming {
  prefillTokS: number;
  decodeTokS: number;
}

export class LlamaCppPeer {
  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    /** The device llama.cpp runs on, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)" or "CPU". */
    readonly device: string,
    readonly backend: PeerBackend,
  ) {}

  static async open(modelPath: string, opts: { backend: PeerBackend; contextSize: number; batchSize: number; threads: number }): Promise<LlamaCppPeer> {
    if (opts.backend === 'vulkan') process.env.GGML_VK_VISIBLE_DEVICES ??= '0';
    let llama: Llama;
    try {
      const { getLlama } = await import('node-llama-cpp');
      llama = await getLlama({ gpu: opts.backend === 'vulkan' ? 'vulkan' : false, build: 'never', logLevel: 'error' as never });
    } catch (e) {
      throw new AppError(
        'NO_WEBGPU',
        `llama.cpp's ${opts.backend} backend (node-llama-cpp) could not start: ${(e as Error).message}. Check that @node-llama-cpp/linux-x64-${opts.backend === 'vulkan' ? 'vulkan' : ''} is installed and a Vulkan driver is visible (scripts/with-gpu-env.sh), or use --peer-backend cpu.`,
      );
    }
    const names = opts.backend === 'vulkan' ? await llama.getGpuDeviceNames() : [];
    const model = await llama.loadModel({ modelPath, gpuLayers: opts.backend === 'vulkan' ? 'max' : 0 });
    // threads: llama.cpp's CPU threads spin while they wait; on a shared machine (CI: 2 cores, many processes) more
    // than one thread turns every token into a scheduling stall. The caller picks (0 = llama.cpp's default: all).
    const context = await model.createContext({ contextSize: opts.contextSize, batchSize: opts.batchSize, sequences: 1, threads: opts.threads });
    return new LlamaCppPeer(llama, model, context, names[0] ?? 'CPU', opts.backend);
  }

  /** log p(next token) over the whole vocabulary after each of `tokens` (a fresh sequence). */
  async logProbs(tokens: number[], vocab: number): Promise<Float64Array[]> {
    const seq = this.context.getSequence();
    try {
      const input: ControlledEvaluateInputItem[] = tokens.map((t) => [t as Token, { generateNext: { probabilities: true, options: { temperature: 1, topK: 0, topP: 1, minP: 0 } } }]);
      const res = await seq.controlledEvaluate(input);
      return res.map((r, i) => {
        const p = r?.next?.probabilities;
        if (!p) throw new AppError('INTERNAL', `llama.cpp returned no probabilities at position ${i}.`);
        const lp = new Float64Array(vocab).fill(-Infinity);
        for (const [id, v] of p) lp[id] = Math.log(v);
        return lp;
      });
    } finally {
      seq.dispose();
    }
  }

  /**
   * Greedy: the prompt evaluated and its next token sampled (prefill), then `genTokens` more tokens each fed
   * back and sampled (decode) — the same work as our prefill + genTokens decode steps.
   */
  async time(prompt: number[], genTokens: number): Promise<PeerTiming> {
    const seq = this.context.getSequence();
    try {
      const t0 = performance.now();
      let t1 = t0;
      let n = 0;
      for await (const _tok of seq.evaluate(prompt as Token[], { temperature: 0 })) {
        void _tok;
        if (n === 0) t1 = performance.now();
        if (n++ === genTokens) break;
      }
      const t2 = performance.now();
      return { prefillTokS: prompt.length / ((t1 - t0) / 1000), decodeTokS: genTokens / ((t2 - t1) / 1000) };
    } finally {
      seq.dispose();
    }
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}
