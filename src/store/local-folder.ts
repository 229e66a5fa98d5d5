// ModelFiles over a model folder the user already has on disk: a File System Access API directory handle
// (showDirectoryPicker) or the FileList of an `<input type="file" webkitdirectory>`. Nothing is copied; reads
// slice the File objects.
//
// Exported API
//   folderModelFiles(handle: DirectoryHandleLike) → Promise<ModelFiles & { name }>
//   fileListModelFiles(files: FileList | File[]) → Promise<ModelFiles & { name }>
//   Both check the folder first and throw AppError MISSING_FILE naming what is missing (config.json,
//   tokenizer.json, .safetensors weights, shards listed in model.safetensors.index.json). When the picked
//   folder holds exactly one model folder one level down, that one is used.
import { AppError } from '../shared/errors';
import type { ModelFiles } from '../model/files';

/** The part of FileSystemDirectoryHandle used here (structural, so tests can pass a folder on disk). */
export interface DirectoryHandleLike {
  readonly kind: 'directory';
  readonly name: string;
  values(): AsyncIterable<DirectoryHandleLike | FileHandleLike>;
}
export interface FileHandleLike {
  readonly kind: 'file';
  readonly name: string;
  getFile(): Promise<File>;
}

export type FolderModelFiles = ModelFiles & { name: string };

const INDEX = 'model.safetensors.index.json';

async function checkModelFolder(name: string, files: Map<string, File>): Promise<void> {
  const missing: string[] = [];
  if (!files.has('config.json')) missing.push('config.json');
  if (!files.has('tokenizer.json')) missing.push('tokenizer.json');
  const index = files.get(INDEX);
  if (index) {
    let weightMap: Record<string, string>;
    try {
      weightMap = (JSON.parse(await index.text()) as { weight_map: Record<string, string> }).weight_map;
      if (!weightMap || typeof weightMap !== 'object') throw new Error('no weight_map');
    } catch {
      throw new AppError('MALFORMED_CONFIG', `${name}/${INDEX} is not a valid safetensors index (no weight_map). Copy it again from the model repo.`);
    }
    for (const shard of new Set(Object.values(weightMap))) if (!files.has(shard)) missing.push(shard);
  } else if (![...files.keys()].some((n) => n.endsWith('.safetensors'))) {
    missing.push('the .safetensors weights');
  }
  if (missing.length) {
    throw new AppError(
      'MISSING_FILE',
      `The folder "${name}" is not a complete model folder: it lacks ${missing.join(', ')}. Pick the folder that holds config.json, tokenizer.json and the .safetensors weights of a Hugging Face GPTQ model.`,
      { missing },
    );
  }
}

function overFiles(name: string, files: Map<string, File>): FolderModelFiles {
  const get = (n: string): File => {
    const f = files.get(n);
    if (!f) throw new AppError('MISSING_FILE', `${n} is not in the folder "${name}". Copy the complete model repo into it and open it again.`);
    return f;
  };
  return {
    name,
    list: async () => [...files.keys()],
    size: async (n) => get(n).size,
    read: async (n, start, end) => {
      const f = get(n);
      try {
        const part = start === undefined && end === undefined ? f : f.slice(start ?? 0, end ?? f.size);
        return new Uint8Array(await part.arrayBuffer());
      } catch (e) {
        throw new AppError('MISSING_FILE', `Could not read ${n} from "${name}" (${e instanceof Error ? e.message : String(e)}). The file may have been moved or changed; open the folder again.`);
      }
    },
  };
}

async function filesOfDirectory(dir: DirectoryHandleLike): Promise<{ files: Map<string, File>; subdirs: DirectoryHandleLike[] }> {
  const files = new Map<string, File>();
  const subdirs: DirectoryHandleLike[] = [];
  for await (const entry of dir.values()) {
    if (entry.kind === 'file') files.set(entry.name, await entry.getFile());
    else subdirs.push(entry);
  }
  return { files, subdirs };
}

export async function folderModelFiles(handle: DirectoryHandleLike): Promise<FolderModelFiles> {
  let { files, subdirs } = await filesOfDirectory(handle);
  let name = handle.name;
  if (!files.has('config.json')) {
    // The user may have picked the folder above the model folder.
    const candidates: { name: string; files: Map<string, File> }[] = [];
    for (const sub of subdirs) {
      const inner = await filesOfDirectory(sub);
      if (inner.files.has('config.json')) candidates.push({ name: `${handle.name}/${sub.name}`, files: inner.files });
    }
    if (candidates.length === 1) ({ name, files } = candidates[0]);
  }
  await checkModelFolder(name, files);
  return overFiles(name, files);
}

export async function fileListModelFiles(list: FileList | File[]): Promise<FolderModelFiles> {
  const all = Array.from(list);
  if (all.length === 0) throw new AppError('MISSING_FILE', 'No files were picked. Pick the model folder (with config.json, tokenizer.json and the .safetensors weights).');
  // webkitRelativePath is "picked/sub/file"; plain multi-file picks have no folder part.
  const rel = (f: File) => ((f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name).split('/');
  const byDir = new Map<string, Map<string, File>>();
  for (const f of all) {
    const parts = rel(f);
    const dir = parts.length > 1 ? parts.slice(0, -1).join('/') : '';
    const m = byDir.get(dir) ?? new Map<string, File>();
    m.set(parts[parts.length - 1], f);
    byDir.set(dir, m);
  }
  const top = rel(all[0]).length > 1 ? rel(all[0])[0] : '';
  let name = top || 'picked files';
  let files = byDir.get(top) ?? new Map<string, File>();
  if (!files.has('config.json')) {
    const withConfig = [...byDir.entries()].filter(([, m]) => m.has('config.json'));
    if (withConfig.length === 1) [name, files] = withConfig[0];
  }
  await checkModelFolder(name, files);
  return overFiles(name, files);
}
