import type { FastifyRequest } from 'fastify';
import { HttpError } from '../errors.ts';

export interface UploadedForm {
  files: { field: string; name: string; bytes: Uint8Array }[];
  fields: Record<string, string>;
}

/** Reads a whole multipart form; a file over the size limit is a 413 naming it. */
export async function readForm(request: FastifyRequest): Promise<UploadedForm> {
  if (!request.isMultipart()) throw new HttpError(415, 'NOT_MULTIPART', 'send the files as multipart/form-data', 'body');
  const form: UploadedForm = { files: [], fields: {} };
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      const bytes = await part.toBuffer().catch((err: Error & { code?: string }) => {
        if (err.code === 'FST_REQ_FILE_TOO_LARGE') throw new HttpError(413, 'UPLOAD_TOO_LARGE', `${part.filename} exceeds the upload size limit`, part.filename);
        throw err;
      });
      form.files.push({ field: part.fieldname, name: part.filename.split(/[\\/]/).pop() ?? part.filename, bytes: new Uint8Array(bytes) });
    } else {
      form.fields[part.fieldname] = String(part.value);
    }
  }
  return form;
}
