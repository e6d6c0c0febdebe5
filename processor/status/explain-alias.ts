// Why an alias was made, in words, from the evidence the resolver recorded. Pure.

/**
 * Only the known fields of the evidence, by type, are used (it is free-form JSON; nothing else of it is shown):
 * "typo: edit distance 1", "synonyms: phone", "model gpt-x, confidence 0.93".
 */
export function explainAlias(decidedBy: string, evidence: unknown): string {
  const field = (name: string): unknown => (typeof evidence === 'object' && evidence !== null ? (evidence as Record<string, unknown>)[name] : undefined);
  const distance = field('distance');
  const group = field('group');
  const model = field('model');
  const confidence = field('confidence');
  switch (decidedBy) {
    case 'typo':
      return typeof distance === 'number' ? `typo: edit distance ${distance}` : 'typo';
    case 'dictionary':
      return typeof group === 'string' ? `synonyms: ${group}` : 'synonyms';
    case 'model': {
      const parts = [typeof model === 'string' ? `model ${model.slice(0, 80)}` : 'model'];
      if (typeof confidence === 'number') parts.push(`confidence ${confidence.toFixed(2)}`);
      return parts.join(', ');
    }
    default:
      return decidedBy;
  }
}
