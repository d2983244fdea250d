/** Bytes from the network's HTTP(S) URLs (avatars, attachments), with a size cap and a timeout. */
export async function downloadBytes(source: string | URL, opts: { maxBytes: number; timeoutMs: number; what: string }): Promise<Uint8Array> {
  const url = new URL(source);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`${opts.what} URL must be http or https: ${url.protocol}`);
  const response = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs) });
  if (!response.ok) throw new Error(`${opts.what} download failed: HTTP ${response.status}`);
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > opts.maxBytes) throw new Error(`${opts.what} too large: ${length} bytes`);
  const body = new Uint8Array(await response.arrayBuffer());
  if (body.byteLength > opts.maxBytes) throw new Error(`${opts.what} too large: ${body.byteLength} bytes`);
  return body;
}
