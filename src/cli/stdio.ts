/**
 * The guest writes to file descriptors 1 and 2 directly (node:wasi, or the native target's own
 * writes), bypassing Node's streams. When Node has opened process.stdout or process.stderr on a
 * pipe, libuv has put the pipe in non-blocking mode, and a guest write to a full pipe (a slow
 * reader downstream) fails with EAGAIN: output would be lost. So before a run, both are opened
 * and switched back to blocking mode (libuv's uv_stream_set_blocking, through the handle).
 */
interface BlockableHandle {
  setBlocking?: (blocking: boolean) => number;
}

export function makeStdoutAndStderrBlocking(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const handle = (stream as unknown as { _handle?: BlockableHandle })._handle;
    handle?.setBlocking?.(true);
  }
}
