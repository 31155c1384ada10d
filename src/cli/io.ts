/** The CLI's input and output, injected so that tests run the commands in-process (src/cli/commands.ts). */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  readFile(path: string): string;
  writeFile(path: string, text: string): void;
  /** File names in a folder (not recursive). */
  listFiles(path: string): string[];
  /** stderr is a terminal: long tasks show a progress bar instead of progress lines. */
  isTTY?: boolean;
  /** Everything on standard input (`ldap-check --password-stdin`). */
  readStdin?(): Promise<string>;
  /** A file written line by line as the lines come (`audit-export --output`); absent: written at once by `writeFile`. */
  openOutput?(path: string): CliOutput;
}

/** Lines to a file, waiting when the disk is slower than the database. */
export interface CliOutput {
  write(line: string): void | Promise<void>;
  close(): Promise<void>;
}
