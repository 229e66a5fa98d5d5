// Overall progress across the files of several models (src/ui/services/download-tally.ts): the sum of the
// files' bytes, so the bar does not restart at 0 for the next file or model; unknown sizes are not guessed.
import { describe, expect, it } from 'vitest';
import { DownloadTally } from '../../src/ui/services/download-tally';

const p = (file: string, loaded: number, total: number) => ({ phase: 'download', file, loaded, total });

describe('DownloadTally', () => {
  it('adds the files of every model up, so the next file does not start the bar again', () => {
    const t = new DownloadTally();
    t.record('a/mini', p('config.json', 100, 100));
    t.record('a/mini', p('onnx/model_quantized.onnx', 400, 1000));
    expect(t.overall()).toEqual({ phase: 'download', loaded: 500, total: 1100, file: 'a/mini/onnx/model_quantized.onnx' });
    t.record('a/mini', p('onnx/model_quantized.onnx', 1000, 1000));
    // The second model's first file: the bytes so far stay counted.
    t.record('b/e5', p('config.json', 50, 200));
    expect(t.overall()).toEqual({ phase: 'download', loaded: 1150, total: 1300, file: 'b/e5/config.json' });
    // The same file name in two models is two files.
    t.record('b/e5', p('onnx/model_quantized.onnx', 0, 5000));
    t.record('b/e5', p('config.json', 200, 200));
    expect(t.overall()).toMatchObject({ loaded: 1300, total: 6300 });
  });

  it('says the total is unknown (0) while a file that started has no known size, and still counts its bytes', () => {
    const t = new DownloadTally();
    t.record('m', p('config.json', 100, 100));
    t.record('m', p('tokenizer.json', 300, 0));
    expect(t.overall()).toMatchObject({ loaded: 400, total: 0 });
    t.record('m', p('tokenizer.json', 500, 500));
    expect(t.overall()).toMatchObject({ loaded: 600, total: 600 });
  });

  it('does not move back on a late, smaller report of a file', () => {
    const t = new DownloadTally();
    t.record('m', p('model.onnx', 700, 1000));
    t.record('m', p('model.onnx', 300, 1000));
    expect(t.overall()).toMatchObject({ loaded: 700, total: 1000 });
  });

  it('is empty before any report', () => {
    expect(new DownloadTally().overall()).toEqual({ phase: 'download', loaded: 0, total: 0 });
  });
});
