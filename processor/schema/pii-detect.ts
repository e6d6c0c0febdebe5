// Deterministic PII detection, before a column's first row lands: by its name, and by the shape of its values. Pure.

const PII_NAMES =
  /(^|_)(e_?mail|mail|phone|telefone|telefono|celular|mobile|cell|cpf|cnpj|rg|ssn|social_security|passport|passaporte|tax_id|nif|dni|curp|iban|card_number|credit_card|cc_number|cartao|birth_?date|date_of_birth|dob|data_nascimento|fecha_nacimiento|full_name|first_name|last_name|surname|sobrenome|apellido|nome|nombre|address|endereco|direccion|ip_address|password|senha)($|_)/;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;
const E164 = /^\+[1-9]\d{7,14}$/;
const CARD = /^\d(?:[ -]?\d){12,18}$/;

export type PiiSource = 'name' | 'values';

/** Why a column is personal data, or null. `values` are the non-null values of the batch. */
export function detectPii(logicalName: string, values: readonly unknown[]): PiiSource | null {
  const name = logicalName.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  if (PII_NAMES.test(name)) return 'name';
  const strings = values.filter((v): v is string => typeof v === 'string');
  if (strings.length === 0) return null;
  const shaped = strings.filter((v) => EMAIL.test(v) || E164.test(v.replace(/[\s()-]/g, '')) || (CARD.test(v) && luhn(v.replace(/\D/g, ''))));
  // Most of the values, not one stray: a notes field that once held an email is not an email column.
  return shaped.length > 0 && shaped.length >= strings.length * 0.8 ? 'values' : null;
}

export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length >= 13 && sum % 10 === 0;
}
