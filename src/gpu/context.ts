// GPU device acquisition and the small helpers every kernel wrapper uses.
// Works in the browser (navigator.gpu) and in Node (pass the GPU object from src/gpu/node-gpu.ts).
import { AppError } from '../shared/errors';

export interface GpuContext {
  device: GPUDevice;
  adapterInfo: { vendor: string; architecture: string; device: string; description: string; isFallback: boolean };
  /** shader-f16 was requested and granted: kernels may use the f16 variants. */
  f16: boolean;
  /** subgroups feature granted. */
  subgroups: boolean;
  /** The adapter's smallest subgroup size (GPUAdapterInfo.subgroupMinSize; 0 or absent when unknown). */
  subgroupMinSize?: number;
  limits: GPUSupportedLimits;
  /** Human-readable adapter name, e.g. "llvmpipe: Mesa 25.0.7" or "swiftshader". */
  adapterName: string;
  /** Resolves (never rejects) when the device is lost; the engine turns it into DEVICE_LOST. */
  lost: Promise<GPUDeviceLostInfo>;
  pipelines: Map<string, GPUComputePipeline>;
  /** The first uncaptured GPU error (validation / out-of-memory), or null. Checked by the engine after each step. */
  firstError: { kind: string; message: string } | null;
}

/**
 * Whether every subgroup has at least 8 lanes: what the rows-per-thread vec4 kernels need (each lane loads one of
 * 8 x vec4s and subgroupBroadcast hands all 8 out; shaders/gptq-matvec-rows-vec4.wgsl, dense-matvec-rows-vec4.wgsl).
 */
export function hasWideSubgroups(ctx: Pick<GpuContext, 'subgroups' | 'subgroupMinSize'>): boolean {
  return ctx.subgroups && (ctx.subgroupMinSize ?? 0) >= 8;
}

export interface AcquireOptions {
  /** Use the f16 path when the adapter offers shader-f16 (default true). */
  preferF16?: boolean;
  powerPreference?: GPUPowerPreference;
  featureLevel?: string;
}

export async function acquireGpu(gpu: GPU | undefined, opts: AcquireOptions = {}): Promise<GpuContext> {
  if (!gpu) {
    throw new AppError('NO_WEBGPU', 'WebGPU is not available in this browser. Use a recent Chrome, Edge or Safari with WebGPU enabled; search mode still works without it.');
  }
  const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance', ...(opts.featureLevel ? { featureLevel: opts.featureLevel } : {}) } as GPURequestAdapterOptions);
  if (!adapter) {
    throw new AppError('NO_WEBGPU', 'No WebGPU adapter was found (the GPU may be blocklisted or disabled). Search mode still works without it.');
  }
  const wantF16 = (opts.preferF16 ?? true) && adapter.features.has('shader-f16');
  const wantSubgroups = adapter.features.has('subgroups');
  const requiredFeatures: GPUFeatureName[] = [];
  if (wantF16) requiredFeatures.push('shader-f16');
  if (wantSubgroups) requiredFeatures.push('subgroups' as GPUFeatureName);
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  // Ask for the adapter's best limits: big models need the largest buffers and bindings it has.
  const l = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxBufferSize: l.maxBufferSize,
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
    maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
  };
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info ?? ({} as GPUAdapterInfo);
  const adapterInfo = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallback: Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter),
  };
  const adapterName = adapterInfo.description || [adapterInfo.vendor, adapterInfo.architecture, adapterInfo.device].filter(Boolean).join(' ') || 'unknown adapter';
  const ctx: GpuContext = {
    device,
    adapterInfo,
    adapterName,
    f16: device.features.has('shader-f16'),
    subgroups: device.features.has('subgroups' as GPUFeatureName),
    subgroupMinSize: (info as { subgroupMinSize?: number }).subgroupMinSize ?? 0,
    limits: device.limits,
    lost: device.lost,
    pipelines: new Map(),
    firstError: null,
  };
  device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
    const kind = ev.error.constructor?.name ?? 'GPUError';
    ctx.firstError ??= { kind, message: ev.error.message };
  };
  return ctx;
}

/** Throws when the device reported an uncaptured error (a kernel failed to compile, out of memory, ...). */
export function throwIfGpuError(ctx: GpuContext): void {
  const e = ctx.firstError;
  if (!e) return;
  if (/memory/i.test(e.kind) || /out of memory/i.test(e.message)) {
    throw new AppError('ADAPTER_TOO_SMALL', `The GPU ran out of memory: ${e.message.split('\n')[0]}. Pick a smaller model or a shorter context.`);
  }
  throw new AppError('INTERNAL', `GPU error (${e.kind}): ${e.message.split('\n')[0]}`);
}

/** Returns a cached compute pipeline for (label, code). Entry point is `main` unless given. */
export function getPipeline(ctx: GpuContext, key: string, code: string, entryPoint = 'main'): GPUComputePipeline {
  let p = ctx.pipelines.get(key);
  if (!p) {
    const module = ctx.device.createShaderModule({ label: key, code });
    p = ctx.device.createComputePipeline({ label: key, layout: 'auto', compute: { module, entryPoint } });
    ctx.pipelines.set(key, p);
  }
  return p;
}

export function createBuffer(ctx: GpuContext, size: number, usage: number, label?: string): GPUBuffer {
  // Buffers are rounded up to 16 bytes (vec4 loads at the tail are then always in bounds).
  const aligned = Math.max(16, Math.ceil(size / 16) * 16);
  if (aligned > ctx.limits.maxBufferSize) {
    throw new AppError('ADAPTER_TOO_SMALL', `A buffer of ${(aligned / 2 ** 20).toFixed(1)} MiB exceeds this GPU's maximum buffer size of ${(ctx.limits.maxBufferSize / 2 ** 20).toFixed(0)} MiB.`);
  }
  return ctx.device.createBuffer({ size: aligned, usage, label });
}

export const STORAGE = 0x80 | 0x08 | 0x04; // STORAGE | COPY_DST | COPY_SRC (GPUBufferUsage values; the globals may be absent in Node)
export const UNIFORM = 0x40 | 0x08; // UNIFORM | COPY_DST

/** Creates a storage buffer initialised with `data`. */
export function uploadBuffer(ctx: GpuContext, data: ArrayBufferView, label?: string, usage = STORAGE): GPUBuffer {
  const buf = createBuffer(ctx, data.byteLength, usage, label);
  const bytes = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  // writeBuffer wants a multiple of 4 bytes.
  if (bytes.byteLength % 4 === 0) ctx.device.queue.writeBuffer(buf, 0, bytes);
  else {
    const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
    padded.set(bytes);
    ctx.device.queue.writeBuffer(buf, 0, padded);
  }
  return buf;
}

/** Creates a uniform buffer from 32-bit words (u32/i32/f32 mixed: pass an ArrayBuffer view). */
export function uniformBuffer(ctx: GpuContext, data: ArrayBufferView, label?: string): GPUBuffer {
  return uploadBuffer(ctx, data, label, UNIFORM);
}

/** Copies `byteLength` bytes of a GPU buffer back to the CPU (tests, logits; never in the decode loop). */
export async function readBuffer(ctx: GpuContext, src: GPUBuffer, byteLength = src.size, srcOffset = 0): Promise<ArrayBuffer> {
  const size = Math.ceil(byteLength / 4) * 4;
  const staging = ctx.device.createBuffer({ size, usage: 0x01 | 0x08 }); // MAP_READ | COPY_DST
  const enc = ctx.device.createCommandEncoder();
  enc.copyBufferToBuffer(src, srcOffset, staging, 0, size);
  ctx.device.queue.submit([enc.finish()]);
  await staging.mapAsync(1); // GPUMapMode.READ
  const out = staging.getMappedRange().slice(0, byteLength);
  staging.unmap();
  staging.destroy();
  return out;
}

/** Number of workgroups along x and y so that x*y >= n without exceeding the per-dimension limit. */
export function dispatchSize(ctx: GpuContext, n: number): [number, number] {
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (n <= max) return [n, 1];
  const y = Math.ceil(n / max);
  return [Math.ceil(n / y), y];
}
