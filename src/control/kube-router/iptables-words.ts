/**
 * The rule text kube-router's rules have once loaded, as `iptables-save` prints them (iptables v1.8.9):
 * `-s`/`-d` as a /32 and `-p` (lower case) come first, then the matches in the order they were given, a
 * port match becoming `-m tcp --dport N` where it was given, comments in double quotes with `"`, `'` and
 * `\` escaped. Writing this form (rather than kube-router's own word order) keeps podnet's iptables-save
 * equal to the kernel's; test/kube-router-kernel.test.ts loads it into a real kernel to show it.
 */

/** A comment as iptables-save quotes it (xtables_save_string). */
export function quote(comment: string): string {
  return `"${comment.replace(/[\\"']/g, (c) => `\\${c}`)}"`;
}

/** `-m comment --comment "..."`. */
export function commentMatch(comment: string): string {
  return `-m comment --comment ${quote(comment)}`;
}

/** The ACCEPT/mark rules' mark words. */
export const MARK = {
  /** What a policy rule sets when it allows (and KUBE-NWPLCY-DEFAULT for pods no policy selects). */
  allowed: '0x10000/0x10000',
  /** What a pod chain sets when the traffic complied, for the ACCEPT in the built-in chains. */
  comply: '0x20000/0x20000',
} as const;
