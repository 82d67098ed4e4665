{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
select {{ column_name }} as value
from {{ model }}
where {{ column_name }} is not null and not (
  {%- if min_value is not none %} {{ column_name }} {{ '>=' if inclusive else '>' }} {{ min_value }}{% endif %}
  {%- if min_value is not none and max_value is not none %} and{% endif %}
  {%- if max_value is not none %} {{ column_name }} {{ '<=' if inclusive else '<' }} {{ max_value }}{% endif %}
)
{% endtest %}

{% test expression_is_true(model, expression, where_clause=none) %}
select * from {{ model }}
where not coalesce(({{ expression }}), false)
{%- if where_clause %} and ({{ where_clause }}){% endif %}
{% endtest %}

{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
