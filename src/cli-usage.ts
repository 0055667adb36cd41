/** Help texts of the CLI, apart from the commands so `--help` loads nothing else. */
export const CREATE_USAGE = `create <name> [--source baike|zhwiki|text] [--file F] [--candidate ID]
         [--detail concise|detailed] [--user USERNAME]
                         create a character (prints its id)
`;
