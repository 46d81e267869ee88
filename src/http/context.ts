/** Values that middleware stores on each request's Hono context. */
export interface RequestVariables {
  requestId: string;
  /** Name of the API key or admin token that authenticated the request. */
  principal: string;
  /** What the request log line reports about the outcome, beyond the status. */
  outcome: string;
  providersTried: readonly string[];
}

export interface AppEnv {
  Variables: RequestVariables;
}
