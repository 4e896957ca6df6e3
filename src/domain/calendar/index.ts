/** The special-day calendar: rules as data, lunar dates from ICU corrected to the official calendar. */
export { FIRST_CIVIL_YEAR, LAST_CIVIL_YEAR, shanghaiDateOf } from "./civil-date.js";
export {
  FIRST_LUNAR_YEAR,
  formatLunarDate,
  gregorianToLunar,
  icuLunarDateOf,
  LAST_LUNAR_YEAR,
  type LunarDate,
  lunarToGregorian,
  overrideFor,
} from "./lunar.js";
export { LUNAR_MONTH_OVERRIDES, type LunarMonthOverride } from "./lunar-overrides.js";
export {
  type DateRule,
  DEFAULT_RULE_SET,
  type GregorianDayRule,
  type LunarDayRule,
  MAX_NAME_LENGTH,
  MAX_SPECIAL_DAYS,
  parseRuleSet,
  parseSpecialDayRule,
  type RuleSet,
  type SpecialDayRule,
} from "./rule-set.js";
export { describeSpecialDay, SpecialDayCalendar } from "./special-day-calendar.js";
