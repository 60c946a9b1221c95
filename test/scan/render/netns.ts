import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN = new URL('../../../bin/klaviyo-checkup.js', import.meta.url).pathname;
const HARNESS = new URL('../../fixtures/netns/harness.mjs', import.meta.url).pathname;

export interface Packet {
  proto: string;
  dst: string;
  port: number;
}

export interface NamespaceRun {
  /** `address:port` of the site that was scanned. */
  fixture: string;
  origin: string;
  /** Every connection attempt made in the namespace, by anything. */
  packets: Packet[];
  /** Connections the listeners on the bait addresses accepted. */
  baitConnections: { proto: string; address: string; port: number }[];
  scan: { code: number; stdout: string; stderr: string };
}

export interface NamespaceSetup {
  routes: Record<string, { body: string; type?: string; status?: number; headers?: Record<string, string> }>;
  scanArgs: string[];
  baits: { v4: string[]; v6: string[] };
  tcpPorts: number[];
  udpPorts: number[];
  /** `/etc/hosts` lines inside the namespace. */
  hosts?: string[];
  /** Where the site is served; 127.0.0.1 unless given. */
  fixtureAddress?: string;
  env?: Record<string, string>;
}

/**
 * Runs `klaviyo-checkup scan <fixture> …` in a fresh network namespace (see the harness) and returns
 * what the packet capture and the bait listeners saw.
 */
export function scanInNamespace(setup: NamespaceSetup): Promise<NamespaceRun> {
  const dir = mkdtempSync(join(tmpdir(), 'klaviyo-netns-test-'));
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ hosts: [], env: {}, ...setup, cli: BIN }));
  return new Promise((resolve, reject) => {
    execFile(
      'unshare',
      ['-rnm', process.execPath, HARNESS, configFile],
      { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        rmSync(dir, { recursive: true, force: true });
        if (error !== null) {
          reject(new Error(`the namespace harness failed (${error.message}): ${stderr}`));
          return;
        }
        resolve(JSON.parse(stdout) as NamespaceRun);
      },
    );
  });
}

/** The distinct destinations of the captured packets, as `proto address:port`. */
export function destinations(packets: Packet[]): string[] {
  return [...new Set(packets.map((packet) => `${packet.proto} ${hostPort(packet.dst, packet.port)}`))].sort();
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
