// The text fields of a small multipart/form-data body: RFC 8058 lets a mail client send its one-click unsubscribe
// this way instead of urlencoded. Files and anything large are out of scope (and refused by the body limit).

/** Field name → value (the last one wins); undefined when the body is not multipart with that boundary. */
export function parseMultipartFields(body: string, contentType: string): Record<string, string> | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!boundary) return undefined;
  const delimiter = `--${boundary[1] ?? boundary[2]}`;
  const fields: Record<string, string> = {};
  for (const part of body.split(delimiter).slice(1)) {
    if (part.startsWith('--')) break; // the closing delimiter
    const split = part.indexOf('\r\n\r\n');
    if (split === -1) continue;
    const headers = part.slice(0, split);
    const name = /content-disposition:\s*form-data;[^\r\n]*?\bname="([^"]*)"/i.exec(headers);
    if (!name || /\bfilename=/i.test(headers)) continue;
    fields[name[1]] = part.slice(split + 4).replace(/\r\n$/, '');
  }
  return fields;
}
