import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";
import { ValidationError } from "@parley/errors";

/** E.164 form of a phone number, or a ValidationError naming the field. */
export function normalisePhone(input: string, defaultCountry?: string, field = "phone"): string {
  const parsed = parsePhoneNumberFromString(input.trim(), defaultCountry as CountryCode | undefined);
  if (!parsed || !parsed.isValid()) {
    const hint = input.trim().startsWith("+") || defaultCountry ? "" : " (use the +<country code> form, or set the workspace's default_country)";
    throw new ValidationError("invalid phone number", [{ path: field, message: `not a valid phone number${hint}` }]);
  }
  return parsed.number;
}

/** The country a phone number belongs to (ISO 3166-1 alpha-2), for calling-hours fallbacks. */
export function phoneCountry(e164: string): string | undefined {
  return parsePhoneNumberFromString(e164)?.country;
}
