/** Values that middleware stores on each request's Hono context. */
export interface RequestVariables {
  requestId: string;
  /** Name of the API key or admin token that authenticated the request. */
  principal: string;
  /** The Account SID of that API key, on requests to the Twilio-compatible API. */
  accountSid: string;
  /** What the request log line reports about the outcome, beyond the status. */
  outcome: string;
  providersTried: readonly string[];
  /** Id of the message that the request created, which its attempt log lines carry. */
  messageId: string;
  /** The client's reference of that message. */
  reference: string;
}

export interface AppEnv {
  Variables: RequestVariables;
}
