/**
 * Open uploads of the filesystem ObjectStore: <root>/.sb-uploads/<id>/ holds
 * manifest.json (key, start time, content type, metadata, expected SHA-256)
 * and one file per part, named p<number>-<etag>, written to a temp file and
 * renamed (a re-sent part replaces the earlier one of its number).
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { OpenUpload, StartUploadOptions, UploadedPart } from '../object-store.js';
import { uploadNotFound } from '../upload-errors.js';
import { TMP_DIR, UPLOADS_DIR, fsyncDir, ioError, isMissing } from './fs-io.js';

/** What manifest.json holds. */
export interface Manifest {
  readonly key: string;
  readonly startedAt: string;
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly sha256?: string;
}

/** A stored part and its file. */
export interface StagedPart extends UploadedPart {
  readonly path: string;
}

const PART_FILE = /^p(\d{5})-([0-9a-f]{32})$/;

/** The staging directories of one root. */
export class UploadStaging {
  constructor(private readonly root: string) {}

  /** Creates the upload's directory and manifest; returns its id. */
  async start(key: string, options: StartUploadOptions, now: Date): Promise<string> {
    const uploadId = randomBytes(12).toString('hex');
    const dir = this.dir(uploadId);
    const manifest: Manifest = {
      key,
      startedAt: now.toISOString(),
      ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
      ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
      ...(options.sha256 !== undefined ? { sha256: options.sha256 } : {}),
    };
    try {
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(`${dir}/manifest.json`, JSON.stringify(manifest));
      await fsyncDir(dir);
    } catch (e) {
      throw ioError(e, `cannot start an upload of ${key}`);
    }
    return uploadId;
  }

  /** The upload's manifest; 'not_found' when the id is unknown or belongs to another key. */
  async manifest(key: string, uploadId: string): Promise<Manifest> {
    if (!/^[0-9a-f]{24}$/.test(uploadId)) throw uploadNotFound(key, uploadId);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(await fs.readFile(`${this.dir(uploadId)}/manifest.json`, 'utf8')) as Manifest;
    } catch (e) {
      if (isMissing(e)) throw uploadNotFound(key, uploadId, e);
      throw ioError(e, `cannot read upload ${uploadId}`);
    }
    if (manifest.key !== key) throw uploadNotFound(key, uploadId);
    return manifest;
  }

  /** Writes part `partNumber` (temp file, fsync, rename), dropping an earlier file of that number. Call under the upload's lock. */
  async putPart(uploadId: string, partNumber: number, body: Uint8Array): Promise<UploadedPart> {
    const etag = createHash('md5').update(body).digest('hex');
    const dir = this.dir(uploadId);
    const tmp = `${this.root}/${TMP_DIR}/${randomBytes(12).toString('hex')}`;
    try {
      const earlier = (await this.parts(uploadId)).filter((p) => p.partNumber === partNumber);
      const handle = await fs.open(tmp, 'wx', 0o644);
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      const path = `${dir}/p${String(partNumber).padStart(5, '0')}-${etag}`;
      await fs.rename(tmp, path);
      for (const p of earlier) if (p.path !== path) await fs.rm(p.path, { force: true });
      await fsyncDir(dir);
    } catch (e) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw ioError(e, `cannot store part ${partNumber} of upload ${uploadId}`);
    }
    return { partNumber, size: body.byteLength, etag };
  }

  /** The parts on disk, ascending by number. */
  async parts(uploadId: string): Promise<StagedPart[]> {
    const dir = this.dir(uploadId);
    const parts: StagedPart[] = [];
    for (const name of await fs.readdir(dir)) {
      const m = PART_FILE.exec(name);
      if (m === null) continue;
      const path = `${dir}/${name}`;
      parts.push({ partNumber: Number(m[1]), etag: m[2] as string, size: (await fs.stat(path)).size, path });
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  /** Removes the upload's directory (parts and manifest). */
  async remove(uploadId: string): Promise<void> {
    await fs.rm(this.dir(uploadId), { recursive: true, force: true });
  }

  /** Every open upload under `prefix`. */
  async list(prefix: string): Promise<OpenUpload[]> {
    const found: OpenUpload[] = [];
    for (const uploadId of await fs.readdir(`${this.root}/${UPLOADS_DIR}`)) {
      try {
        const m = JSON.parse(await fs.readFile(`${this.dir(uploadId)}/manifest.json`, 'utf8')) as Manifest;
        if (m.key.startsWith(prefix)) found.push({ key: m.key, uploadId, startedAt: new Date(m.startedAt) });
      } catch (e) {
        if (!isMissing(e)) throw ioError(e, `cannot read upload ${uploadId}`);
      }
    }
    return found;
  }

  private dir(uploadId: string): string {
    return `${this.root}/${UPLOADS_DIR}/${uploadId}`;
  }
}
