/** What a command may touch besides the file system: injected so tests run commands in-process. */
export interface CliContext {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => string;
}
