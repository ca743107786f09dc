// The time zones a lead may be in, for calling hours: its own, else its phone number's country's,
// else the campaign's or workspace's. A country spanning several zones yields them all, and the
// calling window must then be open in each (see calling-hours.ts): never early for anyone.
import { parsePhoneNumberFromString } from "libphonenumber-js/max";

// Countries with more than one civil time zone, by their populated mainland zones. The USA's
// Alaska and Hawaii are told apart by area code.
export const MULTI_ZONE: Record<string, string[]> = {
  US: ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles"],
  CA: ["America/Halifax", "America/Toronto", "America/Winnipeg", "America/Edmonton", "America/Vancouver"],
  MX: ["America/Cancun", "America/Mexico_City", "America/Chihuahua", "America/Hermosillo", "America/Tijuana"],
  BR: ["America/Sao_Paulo", "America/Manaus", "America/Rio_Branco"],
  AU: ["Australia/Sydney", "Australia/Brisbane", "Australia/Adelaide", "Australia/Darwin", "Australia/Perth"],
  RU: ["Europe/Kaliningrad", "Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Vladivostok"],
  ID: ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"],
  KZ: ["Asia/Almaty", "Asia/Aqtobe"],
  AR: ["America/Argentina/Buenos_Aires"],
  CL: ["America/Santiago"],
  PT: ["Europe/Lisbon", "Atlantic/Azores"],
  ES: ["Europe/Madrid", "Atlantic/Canary"],
};

const US_AREA_ZONES: Record<string, string> = { "907": "America/Anchorage", "808": "Pacific/Honolulu" };

export const SINGLE_ZONE: Record<string, string> = {
  GB: "Europe/London", IE: "Europe/Dublin", FR: "Europe/Paris", DE: "Europe/Berlin", IT: "Europe/Rome", NL: "Europe/Amsterdam",
  BE: "Europe/Brussels", CH: "Europe/Zurich", AT: "Europe/Vienna", SE: "Europe/Stockholm", NO: "Europe/Oslo", DK: "Europe/Copenhagen",
  FI: "Europe/Helsinki", PL: "Europe/Warsaw", CZ: "Europe/Prague", GR: "Europe/Athens", RO: "Europe/Bucharest", HU: "Europe/Budapest",
  UA: "Europe/Kyiv", TR: "Europe/Istanbul", IL: "Asia/Jerusalem", AE: "Asia/Dubai", SA: "Asia/Riyadh", QA: "Asia/Qatar", EG: "Africa/Cairo",
  ZA: "Africa/Johannesburg", NG: "Africa/Lagos", KE: "Africa/Nairobi", MA: "Africa/Casablanca", IN: "Asia/Kolkata", PK: "Asia/Karachi",
  BD: "Asia/Dhaka", LK: "Asia/Colombo", SG: "Asia/Singapore", MY: "Asia/Kuala_Lumpur", TH: "Asia/Bangkok", VN: "Asia/Ho_Chi_Minh",
  PH: "Asia/Manila", HK: "Asia/Hong_Kong", CN: "Asia/Shanghai", TW: "Asia/Taipei", JP: "Asia/Tokyo", KR: "Asia/Seoul",
  NZ: "Pacific/Auckland", CO: "America/Bogota", PE: "America/Lima", VE: "America/Caracas", UY: "America/Montevideo", PY: "America/Asuncion",
  EC: "America/Guayaquil", BO: "America/La_Paz", CR: "America/Costa_Rica", PA: "America/Panama", GT: "America/Guatemala",
  DO: "America/Santo_Domingo", PR: "America/Puerto_Rico", JM: "America/Jamaica",
};

export function phoneZones(e164: string): string[] {
  const parsed = parsePhoneNumberFromString(e164);
  const country = parsed?.country;
  if (!country) return [];
  if (country === "US") {
    const area = US_AREA_ZONES[parsed.nationalNumber.slice(0, 3)];
    if (area) return [area];
  }
  return MULTI_ZONE[country] ?? (SINGLE_ZONE[country] ? [SINGLE_ZONE[country]] : []);
}

export function leadZones(lead: { timezone?: string; phone: string }, fallback: string): string[] {
  if (lead.timezone) return [lead.timezone];
  const byPhone = phoneZones(lead.phone);
  return byPhone.length ? byPhone : [fallback];
}
