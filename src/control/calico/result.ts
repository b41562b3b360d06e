/** The result Calico's control code returns instead of throwing on bad input: the value, or a typed error. */
export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };
