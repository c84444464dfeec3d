// Head office's home page: new contacts per channel code per day (ECharts, stacked bars).
// Data comes from a JSON script element, so the page needs no inline script.
(function () {
  var element = document.getElementById("home-acquisition-chart");
  var source = document.getElementById("home-acquisition-data");
  if (!window.echarts || !element || !source) { return; }
  var data = JSON.parse(source.textContent);
  echarts.init(element).setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { type: "scroll", top: 0, data: data.series.map(function (s) { return s.name; }) },
    grid: { left: 40, right: 16, top: 40, bottom: 28 },
    xAxis: { type: "category", data: data.days },
    yAxis: { type: "value", minInterval: 1 },
    series: data.series.map(function (s) {
      return { name: s.name, type: "bar", stack: "adds", data: s.data };
    })
  });
})();
