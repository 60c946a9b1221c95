import { createServer, type Socket } from 'node:net';

export interface RefusingProxy {
  port: number;
  /** Connections the browser opened to it: each one is something interception did not cover. */
  readonly attempts: number;
  close(): Promise<void>;
}

/** The browser's proxy: it accepts nothing, so a connection that slips past interception goes nowhere. */
export async function startRefusingProxy(): Promise<RefusingProxy> {
  let attempts = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    attempts++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the refusing proxy has no port');
  return {
    port: address.port,
    get attempts() {
      return attempts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
