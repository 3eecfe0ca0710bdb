-- NI16 Serious acquisitive crime rate. Numerator: crimes of the five
-- types recorded in the period (financial year, or rolling 12 months for
-- a quarter); denominator: the LA's population (every LA, 0 crimes where
-- none).
WITH by_la AS (
    SELECT p.period, r.la_code, count(*) AS crimes
    FROM recorded_crime r
    JOIN periods p ON r.recorded_date BETWEEN p.p_start AND p.p_end
    WHERE r.crime_type IN ('domestic_burglary', 'theft_of_vehicle',
                           'theft_from_vehicle', 'robbery_personal',
                           'robbery_business')
    GROUP BY ALL
)
SELECT p.period, a.la_code,
       coalesce(b.crimes, 0) AS numerator,
       a.population AS denominator
FROM periods p
CROSS JOIN areas a
LEFT JOIN by_la b ON b.period = p.period AND b.la_code = a.la_code
