// Prints graphql-http's audit of the server at argv[2] as JSON, one result per check:
// {id, name, status ("ok", "notice": a MAY, "warn": a SHOULD, "error": a MUST), reason}.
import { auditServer } from 'graphql-http';

const results = await auditServer({ url: process.argv[2] });
const out = [];
for (const result of results) {
  const entry = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') entry.reason = result.reason;
  out.push(entry);
}
process.stdout.write(JSON.stringify(out));
