/**
 * Input limits shared by the API schemas and the web app's inputs, so a field in the browser
 * never accepts what the server refuses (nor cuts what it accepts). No Node imports: the web
 * app bundles this file.
 */
export const LIMITS = {
  username: { min: 3, max: 32 },
  password: { min: 8, max: 128 },
  characterName: { min: 1, max: 64 },
  groupName: { min: 1, max: 100 },
  biography: { max: 5000 },
  message: { max: 8000 },
  profileText: { max: 500 },
  sourceText: { max: 200_000 },
  // --- chats and personas ---
  chatTitle: { max: 100 },
  personaName: { min: 1, max: 64 },
  personaDescription: { max: 2000 },
} as const;
