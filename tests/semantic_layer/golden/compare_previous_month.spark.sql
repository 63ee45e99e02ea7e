WITH `surveys_metrics` AS (
  SELECT
    `tickets`.`region` AS `region`,
    AVG(`surveys`.`csat_score`) AS `avg_csat`
  FROM surveys AS `surveys`
  LEFT JOIN tickets AS `tickets`
    ON `surveys`.`ticket_id` = `tickets`.`ticket_id`
  WHERE
    `tickets`.`created_at` >= CAST('2026-07-01 00:00:00' AS TIMESTAMP)
    AND `tickets`.`created_at` < CAST('2026-08-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    `tickets`.`region`
), `previous_surveys_metrics` AS (
  SELECT
    `tickets`.`region` AS `region`,
    AVG(`surveys`.`csat_score`) AS `avg_csat`
  FROM surveys AS `surveys`
  LEFT JOIN tickets AS `tickets`
    ON `surveys`.`ticket_id` = `tickets`.`ticket_id`
  WHERE
    `tickets`.`created_at` >= CAST('2026-06-01 00:00:00' AS TIMESTAMP)
    AND `tickets`.`created_at` < CAST('2026-07-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    `tickets`.`region`
), `current_period` AS (
  SELECT
    `surveys_metrics`.`region` AS `region`,
    `surveys_metrics`.`avg_csat` AS `avg_csat`
  FROM `surveys_metrics`
), `previous_period` AS (
  SELECT
    `previous_surveys_metrics`.`region` AS `region`,
    `previous_surveys_metrics`.`avg_csat` AS `avg_csat`
  FROM `previous_surveys_metrics`
)
SELECT
  COALESCE(`current_period`.`region`, `previous_period`.`region`) AS `region`,
  `current_period`.`avg_csat` AS `avg_csat`,
  `previous_period`.`avg_csat` AS `avg_csat__previous`,
  `current_period`.`avg_csat` - `previous_period`.`avg_csat` AS `avg_csat__change`,
  CAST((
    `current_period`.`avg_csat` - `previous_period`.`avg_csat`
  ) AS DOUBLE) / NULLIF(ABS(`previous_period`.`avg_csat`), 0) AS `avg_csat__change_pct`
FROM `current_period`
FULL JOIN `previous_period`
  ON `current_period`.`region` IS NOT DISTINCT FROM `previous_period`.`region`
ORDER BY
  `region` NULLS LAST
