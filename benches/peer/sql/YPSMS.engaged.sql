-- YPSMS.engaged Young people in custody engaged with substance misuse
-- services. Cohort: ypsms_custody rows received in the period (quarter or
-- financial year), in the home LA. Numerator: engaged true; denominator:
-- the cohort.
SELECT p.period, y.la_code,
       count(*) FILTER (WHERE y.engaged) AS numerator,
       count(*) AS denominator
FROM ypsms_custody y
JOIN periods p ON y.reception_date BETWEEN p.p_start AND p.p_end
GROUP BY ALL
