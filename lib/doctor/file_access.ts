/**
 * File access as the service would have it: run as root, doctor checks access as the user the
 * systemd unit runs as (through runuser), so a log readable by root only is reported.
 *
 * @module
 */
import { dirname } from "node:path";
import { userInfo } from "node:os";
import process from "node:process";
import type { Finding } from "./finding.ts";

/** The user the systemd unit runs as (deploy/dns-analytics.service). */
export const SERVICE_USER = "dns-analytics";

/** What probing a path found. */
export type Access = "ok" | "missing" | "denied" | "not-file" | "not-dir";

/** Probes paths as {@linkcode FileReader.user}. */
export interface FileReader {
  user: string;
  /** Says whose access is checked (and why not the service user's). */
  note?: Finding;
  probe(path: string, kind: "file" | "dir"): Promise<Access>;
}

/** Probe access as this process, or as the service user when root can switch to it. */
export async function fileReader(serviceUser?: string): Promise<FileReader> {
  const self = userInfo().username;
  const own: FileReader["probe"] = async (path, kind) => {
    try {
      if (kind === "dir") {
        for await (const _ of Deno.readDir(path)) break;
      } else {
        (await Deno.open(path, { read: true })).close();
      }
      return "ok";
    } catch (error) {
      return error instanceof Deno.errors.NotFound ? "missing" : "denied";
    }
  };
  // stat first, as this process: "missing" and "not a file" are told apart from "denied".
  const wrap = (probe: FileReader["probe"]): FileReader["probe"] => {
    return async (path, kind) => {
      let info: Deno.FileInfo;
      try {
        info = await Deno.stat(path);
      } catch (error) {
        return error instanceof Deno.errors.NotFound ? "missing" : "denied";
      }
      if (kind === "file" && !info.isFile) return "not-file";
      if (kind === "dir" && !info.isDirectory) return "not-dir";
      return await probe(path, kind);
    };
  };
  if (process.getuid?.() !== 0) return { user: self, probe: wrap(own) };
  const user = serviceUser ?? SERVICE_USER;
  const known = await Deno.readTextFile("/etc/passwd")
    .then((t) => t.split("\n").some((l) => l.startsWith(`${user}:`)))
    .catch(() => false);
  const runuser = await Deno.stat("/usr/sbin/runuser").then(() => true, () => false);
  if (!known || !runuser) {
    return {
      user: self,
      probe: wrap(own),
      note: {
        level: "warn",
        check: "access",
        message:
          `running as root and ${
            known ? "runuser is missing" : `user ${user} does not exist`
          }: file access below is root's, which reads everything; install the service ` +
          "(deploy/install.sh) and run doctor again",
      },
    };
  }
  const asUser: FileReader["probe"] = async (path, kind) => {
    const test = kind === "dir" ? ["-r", path, "-a", "-x", path] : ["-r", path];
    const out = await new Deno.Command("/usr/sbin/runuser", {
      args: ["-u", user, "--", "test", ...test],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success ? "ok" : "denied";
  };
  return {
    user,
    probe: wrap(asUser),
    note: { level: "ok", check: "access", message: `file access checked as user ${user}` },
  };
}

/** How to give `user` read access to `path`'s directory and its rotated files. */
export function aclHint(user: string, path: string): string {
  const dir = dirname(path);
  return `run deploy/install.sh, or: setfacl -m u:${user}:rx ${dir}; ` +
    `setfacl -d -m u:${user}:r ${dir}; setfacl -m u:${user}:r ${dir}/*`;
}
