import { z } from 'zod';

/**
 * A line of text a person typed (a name, a model): trimmed, bounded, without control characters.
 * PostgreSQL refuses NUL in text and JSON, and a newline would break an email's subject line.
 */
export const singleLine = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters');
