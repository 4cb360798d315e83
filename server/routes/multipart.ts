import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../config.ts';
import { HttpError } from '../errors.ts';
import type { DecodeLimits } from '../uploads/decode.ts';

export interface UploadedForm {
  files: { field: string; name: string; bytes: Uint8Array }[];
  fields: Record<string, string>;
}

/**
 * Reads a whole multipart form; a file over the size limit is a 413 naming it, and a body that is
 * not well-formed multipart (no boundary, truncated, ended early) a 400 naming the file being read.
 */
export async function readForm(request: FastifyRequest): Promise<UploadedForm> {
  if (!request.isMultipart()) throw new HttpError(415, 'NOT_MULTIPART', 'send the files as multipart/form-data', 'body');
  const form: UploadedForm = { files: [], fields: {} };
  let reading = 'body';
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        reading = part.filename;
        const bytes = await part.toBuffer().catch((err: Error & { code?: string }) => {
          if (err.code === 'FST_REQ_FILE_TOO_LARGE') throw new HttpError(413, 'UPLOAD_TOO_LARGE', `${part.filename} exceeds the upload size limit`, part.filename);
          throw err;
        });
        form.files.push({ field: part.fieldname, name: part.filename.split(/[\\/]/).pop() ?? part.filename, bytes: new Uint8Array(bytes) });
      } else {
        reading = part.fieldname;
        if (part.valueTruncated) throw new HttpError(400, 'FIELD_TOO_LONG', `${part.fieldname} exceeds ${FIELD_MAX_BYTES} bytes`, part.fieldname);
        form.fields[part.fieldname] = String(part.value);
      }
      reading = 'body';
    }
  } catch (err) {
    if (err instanceof HttpError || (err as { statusCode?: number }).statusCode === 413) throw err;
    throw new HttpError(400, 'MALFORMED_MULTIPART', `${reading}: the multipart body is malformed (${(err as Error).message})`, reading);
  }
  return form;
}

/** Longest text field of a form (busboy truncates longer ones, which readForm refuses). */
export const FIELD_MAX_BYTES = 64 * 1024;

/** Longest name and description a model or dataset may carry (they are listed in full by GET routes). */
export const NAME_MAX_LENGTH = 200;
export const DESCRIPTION_MAX_LENGTH = 2000;

/** The form's name (required) and description, length-limited; 400 naming the field otherwise. */
export function nameAndDescription(form: UploadedForm): { name: string; description: string } {
  const name = form.fields.name?.trim();
  if (!name) throw new HttpError(400, 'NAME_REQUIRED', 'the form field name is required', 'name');
  if (name.length > NAME_MAX_LENGTH) throw new HttpError(400, 'NAME_TOO_LONG', `name has ${name.length} characters; at most ${NAME_MAX_LENGTH}`, 'name');
  const description = form.fields.description ?? '';
  if (description.length > DESCRIPTION_MAX_LENGTH) {
    throw new HttpError(400, 'DESCRIPTION_TOO_LONG', `description has ${description.length} characters; at most ${DESCRIPTION_MAX_LENGTH}`, 'description');
  }
  return { name, description };
}

/** The configured bounds of the child process that decodes an upload. */
export function decodeLimits(config: AppConfig): DecodeLimits {
  return { memoryMb: config.UPLOAD_DECODE_MEMORY_MB, timeoutMs: config.UPLOAD_DECODE_TIMEOUT_MS };
}
