-- YPSMS.care_plan Young people in custody with a substance misuse care
-- plan within 10 working days. Cohort: ypsms_custody rows received in the
-- period (quarter or financial year), in the home LA. Numerator:
-- care_plan_date on or after reception_date with at most 10 working days
-- (Monday to Friday, not in bank_holidays) in (reception_date,
-- care_plan_date]; denominator: the cohort. Working days are counted from
-- a calendar of every day the cohort's dates span, numbered by a running
-- count of working days: the count in (a, b] is number(b) - number(a).
WITH cohort AS (
    SELECT p.period, y.la_code, y.reception_date, y.care_plan_date
    FROM ypsms_custody y
    JOIN periods p ON y.reception_date BETWEEN p.p_start AND p.p_end
),
bounds AS (
    SELECT min(reception_date) AS lo,
           greatest(max(reception_date), max(care_plan_date)) AS hi
    FROM cohort
),
calendar AS (
    SELECT d.day,
           sum(CASE WHEN isodow(d.day) <= 5 AND h.date IS NULL THEN 1 ELSE 0 END)
               OVER (ORDER BY d.day) AS n
    FROM (SELECT b.lo + CAST(r.i AS INTEGER) AS day
          FROM bounds b, range(0, b.hi - b.lo + 1) r(i)) d
    LEFT JOIN (SELECT DISTINCT date FROM bank_holidays) h ON h.date = d.day
)
SELECT c.period, c.la_code,
       count(*) FILTER (WHERE c.care_plan_date >= c.reception_date
                          AND b.n - a.n <= 10) AS numerator,
       count(*) AS denominator
FROM cohort c
JOIN calendar a ON a.day = c.reception_date
LEFT JOIN calendar b ON b.day = c.care_plan_date
GROUP BY ALL
