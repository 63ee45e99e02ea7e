WITH `backlog_count_snapshot` AS (
  SELECT
    `spine`.`period` AS `created_date`,
    COUNT(*) AS `backlog_count`
  FROM tickets AS `tickets`
  CROSS JOIN VALUES
    (CAST('2026-10-05' AS DATE), CAST('2026-10-12 00:00:00' AS TIMESTAMP)),
    (CAST('2026-10-12' AS DATE), CAST('2026-10-19 00:00:00' AS TIMESTAMP)),
    (CAST('2026-10-19' AS DATE), CAST('2026-10-26 00:00:00' AS TIMESTAMP)) AS spine(period, moment)
  WHERE
    `tickets`.`created_at` < `spine`.`moment`
    AND (
      `tickets`.`resolved_at` IS NULL OR `tickets`.`resolved_at` >= `spine`.`moment`
    )
  GROUP BY
    `spine`.`period`
)
SELECT
  `backlog_count_snapshot`.`created_date` AS `created_date`,
  `backlog_count_snapshot`.`backlog_count` AS `backlog_count`
FROM `backlog_count_snapshot`
ORDER BY
  `created_date` NULLS LAST
