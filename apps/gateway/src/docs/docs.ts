import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export const DOCS_PATH = 'docs';

/** The OpenAPI UI at /docs and the document at /docs-json, built from the routes' decorators and zod schemas. */
export function setUpDocs(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Media Magic API')
    .setDescription(
      'The public API of the Media Magic platform. Errors are JSON `{statusCode, message}`, with `details` when there is more to act on. ' +
        'POST requests accept an `Idempotency-Key` header: a repeat with the same key gets the first answer and causes nothing new.',
    )
    .setVersion('1')
    .addBearerAuth()
    .build();
  SwaggerModule.setup(DOCS_PATH, app, () => SwaggerModule.createDocument(app, config));
}
