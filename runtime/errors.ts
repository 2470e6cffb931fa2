/** An error meant for the user as it is: its message is what the CLI prints. */
export class ContainerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerError';
  }
}
