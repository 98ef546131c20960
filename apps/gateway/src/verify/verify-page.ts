const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

/** A small page for a browser: no script, no external resource (the headers forbid both). */
export function verifyPage(outcome: { verified: true; email: string } | { verified: false; reason: string }): string {
  const [title, text] = outcome.verified
    ? ['Email address verified', `${escapeHtml(outcome.email)} is verified. You can now create deployments.`]
    : ['Email address not verified', escapeHtml(outcome.reason)];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Media Magic</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.5rem}</style>
</head>
<body>
<h1>${title}</h1>
<p>${text}</p>
</body>
</html>
`;
}
