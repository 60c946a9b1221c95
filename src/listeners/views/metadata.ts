/** A form's private_metadata as the view that opened it wrote it; `{}` when it does not read. */
export function formMetadata<T extends object>(privateMetadata: string): Partial<T> {
  try {
    const parsed: unknown = JSON.parse(privateMetadata);
    return parsed !== null && typeof parsed === 'object' ? (parsed as Partial<T>) : {};
  } catch {
    return {};
  }
}
