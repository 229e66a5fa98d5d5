// Writes a file map (name → bytes) into a directory on disk (Node).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export async function writeModelDir(dir: string, files: Map<string, Uint8Array>): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (const [name, bytes] of files) await fs.writeFile(path.join(dir, name), bytes);
}
