export class MissingDependencyError extends Error {
  constructor(what: string, url: string, hint: string) {
    super(`${what} is not reachable at ${url}. ${hint}`);
    this.name = "MissingDependencyError";
  }
}
