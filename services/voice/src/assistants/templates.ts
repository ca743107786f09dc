// Starting points a tenant can create an assistant from. Placeholders are filled per call from the
// lead ({{name}}, {{business_name}}) and the workspace profile ({{business}}, {{offer}}, {{persona}}).
import type { AssistantConfig } from "./config";

export interface AssistantTemplate {
  id: string;
  name: string;
  description: string;
  config: AssistantConfig;
}

const RULES = `Rules: be brief and natural; one question at a time. If they ask not to be called again, use opt_out and end the call. Before proposing a meeting time, use check_availability; book only a time they agreed to, with book_appointment. Record what you learn about their needs with record_qualification.`;

export const ASSISTANT_TEMPLATES: AssistantTemplate[] = [
  {
    id: "short_pitch",
    name: "Short pitch",
    description: "Thirty seconds: who we are, the offer, and a meeting if they are interested.",
    config: {
      first_message: "Hi {{name}}, this is {{persona}} from {{business}}. Do you have thirty seconds?",
      system_prompt: `You are {{persona}}, calling {{name}} at {{business_name}} for {{business}}. Pitch {{offer}} in two sentences, then ask if they would like a short meeting to learn more. If not interested, thank them and end the call.\n${RULES}`,
      max_duration_seconds: 180,
      end_call_phrases: ["goodbye", "have a great day"],
    },
  },
  {
    id: "discovery",
    name: "Discovery call",
    description: "Qualifies the lead with open questions about needs, timeline and budget, then books a meeting.",
    config: {
      first_message: "Hi {{name}}, it's {{persona}} from {{business}}. I'd love to learn a little about {{business_name}} — is now a good time?",
      system_prompt: `You are {{persona}} from {{business}}, on a discovery call with {{name}} at {{business_name}}. Learn their current situation, their main problem, their timeline and who decides. Relate {{offer}} to what they tell you, and offer a meeting with a specialist when there is a fit.\n${RULES}`,
      max_duration_seconds: 600,
    },
  },
  {
    id: "voicemail_friendly",
    name: "Voicemail-friendly",
    description: "Leaves a short, complete message when a machine answers; otherwise a brief pitch.",
    config: {
      first_message: "Hi {{name}}, this is {{persona}} from {{business}}.",
      system_prompt: `You are {{persona}} from {{business}}, calling {{name}} about {{offer}}. Keep it short and offer a meeting.\n${RULES}`,
      voicemail_message: "Hi {{name}}, this is {{persona}} from {{business}} about {{offer}}. I'll try you again soon — or just reply to this number. Thanks!",
      max_duration_seconds: 240,
    },
  },
];

export function findTemplate(id: string): AssistantTemplate | undefined {
  return ASSISTANT_TEMPLATES.find((t) => t.id === id);
}
