/**
 * Per-user settings, their ranges and defaults. Memory budgets are in estimated tokens
 * (see features/chat/tokens.ts), not characters, so Chinese and English text are sized fairly.
 */
import { LIMITS } from '../../shared/limits.js';

export const SETTINGS_RANGES = {
  budgetSession: { min: 200, max: 32_000, default: 2000 },
  budgetShortTerm: { min: 100, max: 16_000, default: 800 },
  budgetLongTerm: { min: 100, max: 16_000, default: 800 },
  groupRounds: { min: 1, max: 10, default: 3 },
} as const;

export const PROFILE_TEXT_MAX = LIMITS.profileText.max;

export interface UserSettings {
  chatModel: string | null;
  budgetSession: number;
  budgetShortTerm: number;
  budgetLongTerm: number;
  profileText: string;
  groupRounds: number;
}

export const DEFAULT_SETTINGS: UserSettings = {
  chatModel: null,
  budgetSession: SETTINGS_RANGES.budgetSession.default,
  budgetShortTerm: SETTINGS_RANGES.budgetShortTerm.default,
  budgetLongTerm: SETTINGS_RANGES.budgetLongTerm.default,
  profileText: '',
  groupRounds: SETTINGS_RANGES.groupRounds.default,
};
