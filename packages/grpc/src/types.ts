import type { ServiceDefinition, ServerUnaryCall } from "@grpc/grpc-js";

type MethodOf<S> = S extends ServiceDefinition ? S : never;
export type RequestOf<M> = M extends { requestSerialize: (value: infer R) => Buffer } ? R : never;
export type ResponseOf<M> = M extends { responseDeserialize: (bytes: Buffer) => infer R } ? R : never;

/** What a service implements: every unary method as an async function, errors thrown as domain errors. */
export type AsyncService<S> = {
  [K in keyof MethodOf<S>]: (
    request: RequestOf<MethodOf<S>[K]>,
    call: ServerUnaryCall<RequestOf<MethodOf<S>[K]>, ResponseOf<MethodOf<S>[K]>>,
  ) => Promise<ResponseOf<MethodOf<S>[K]>>;
};

export interface CallOptions {
  /** Overrides the client's default deadline for this call. */
  deadlineMs?: number;
}

/** What a caller gets: every unary method as a promise, rejecting with the server's domain error. */
export type PromiseClient<S> = {
  [K in keyof MethodOf<S>]: (request: RequestOf<MethodOf<S>[K]>, options?: CallOptions) => Promise<ResponseOf<MethodOf<S>[K]>>;
};
