WITH `tickets_metrics` AS (
  SELECT
    `tickets`.`shift` AS `shift`,
    PERCENTILE(
      TIMESTAMPDIFF(
        SECOND,
        DATE_TRUNC('SECOND', `tickets`.`created_at`),
        DATE_TRUNC('SECOND', `tickets`.`first_response_at`)
      ) / 60.0D,
      0.5D
    ) AS `median_first_response_minutes`,
    PERCENTILE(
      TIMESTAMPDIFF(
        SECOND,
        DATE_TRUNC('SECOND', `tickets`.`created_at`),
        DATE_TRUNC('SECOND', `tickets`.`first_response_at`)
      ) / 60.0D,
      0.9D
    ) AS `p90_first_response_minutes`
  FROM tickets AS `tickets`
  GROUP BY
    `tickets`.`shift`
)
SELECT
  `tickets_metrics`.`shift` AS `shift`,
  `tickets_metrics`.`median_first_response_minutes` AS `median_first_response_minutes`,
  `tickets_metrics`.`p90_first_response_minutes` AS `p90_first_response_minutes`
FROM `tickets_metrics`
ORDER BY
  `shift` NULLS LAST
