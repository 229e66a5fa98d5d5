// A model folder the user picked, as ModelFiles for the engine (store/local-folder.ts does the work):
// the File System Access API picker where the browser has it, else <input webkitdirectory>'s FileList.
import { fileListModelFiles, folderModelFiles, type DirectoryHandleLike, type FolderModelFiles } from '../../store/local-folder';

export function openModelFolder(list: FileList): Promise<FolderModelFiles> {
  return fileListModelFiles(list);
}

export function canPickDirectory(): boolean {
  return typeof (globalThis as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function';
}

export async function pickModelDirectory(): Promise<FolderModelFiles> {
  const pick = (globalThis as unknown as { showDirectoryPicker: (o?: { mode: 'read' }) => Promise<DirectoryHandleLike> }).showDirectoryPicker;
  return folderModelFiles(await pick({ mode: 'read' }));
}
