/**
 * The events of a turn, as the engine emits them and every transport carries them: our SSE (one
 * frame per event, `event: <name>` + `data: <JSON>`), and the web app decodes them through the
 * same types (web/src/lib/conversation.ts). Types only: the browser build imports this file.
 */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/** The end of a one-to-one turn (send, regenerate). */
export interface ReplyDone {
  messageId: number;
  userMessageId: number;
  usage: TokenUsage;
}

/** The end of a group turn: what the round loop did. */
export interface GroupDone {
  userMessageId: number;
  messageIds: number[];
  rounds: number;
  /** Rounds whose speaker the rules chose (no LLM call). */
  ruleRounds: number;
  moderatorCalls: number;
  moderatorFailures: number;
  decidedBy: Partial<Record<string, number>>;
  stoppedBy: string;
}

export interface TurnEventData {
  /** Text of the reply being written (coalesced into one frame per FASTNPC_STREAM_FRAME_MS, 100 ms by default, on the wire). */
  token: { text: string };
  /** Group chat: a member starts speaking. */
  speaker: { characterId: number; name: string };
  /** Group chat: that member's message is stored. */
  message_done: { messageId: number };
  /** The last event of a turn that succeeded. */
  done: ReplyDone | GroupDone;
  /** The last event of a turn that failed after it began (before that, failures are HTTP errors). */
  error: { code: string; message: string };
}

export type TurnEventName = keyof TurnEventData;

export type TurnEvent = { [K in TurnEventName]: { event: K; data: TurnEventData[K] } }[TurnEventName];

export const TURN_EVENT_NAMES: readonly TurnEventName[] = ['token', 'speaker', 'message_done', 'done', 'error'];
