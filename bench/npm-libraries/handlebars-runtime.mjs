// handlebars used naively: compiling a template when the function runs generates code
// (new Function), which teejs refuses with an EvalError.
import Handlebars from 'handlebars';

export default () => ({ html: Handlebars.compile('<p>Hello {{name}}</p>')({ name: 'Ada' }) });
